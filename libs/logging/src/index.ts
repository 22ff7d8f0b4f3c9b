export { createAppLogger, LineLogger } from './app-logger';
