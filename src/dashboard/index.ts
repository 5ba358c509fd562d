export {
  DashboardCollector,
  type DeliveryRecord,
  deliveriesByRecipient,
  type MessageRecord,
  type RecipientDeliveries,
} from './collector.ts';
export {
  type BucketListing,
  componentHealth,
  type ErrorFolder,
  type Health,
  listBucket,
  type QueueDepth,
  queueDepth,
  sftErrorFolders,
} from './probes.ts';
export { type Dashboard, type DashboardOptions, startDashboard } from './server.ts';
