export * from './runner';
export * from './recording-runner';
export * from './keys';
export * from './dump';
export * from './peers';
export * from './device';
