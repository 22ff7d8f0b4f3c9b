export { BaseError, type BaseErrorOptions } from './base.error';
export { errorMessage } from './error-message';
