export { EdgeThreadError, startThreadEdge, type ThreadEdgeOptions } from './thread-edge.ts';
