export * from './names';
export * from './spec';
export * from './dto';
export * from './errors';
