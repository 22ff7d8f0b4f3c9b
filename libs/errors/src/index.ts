export { BaseError, type BaseErrorOptions } from './base.error';
