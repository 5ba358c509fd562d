export { EPHEMERAL_PORTS } from './ephemeral-ports.ts';
export { EventLog } from './event-log.ts';
export { flagEvent } from './flag-event.ts';
export {
  type KitClients,
  type StartedService,
  startTestKit,
  TestKit,
  type TestKitOptions,
  type TestWorld,
} from './kit.ts';
export { queueDepth, receiveOne, sendFlagEvents, sendMessage } from './queue-messages.ts';
export { writeItems } from './routing-items.ts';
export { getBytes, headObject, listKeys, PART_SIZE, putObject, UPLOAD_QUEUE_SIZE } from './s3-objects.ts';
export { type KitTarget, type KitTargetChoice, type KitTargetOptions, startKitTarget } from './target.ts';
export { uniqueName } from './unique-name.ts';
export { FLAG_SUFFIX, type WorldNames, type WorldOptions, worldEnvironment, worldNames } from './world.ts';
