export { LOG_FILE_MODE, privateLogFile } from './file-destination.ts';
export { createLogger, type Logger, type LoggerOptions, silentLogger } from './logger.ts';
