export * from './gen/oja/v1/agent';
export * from './node-certificate';
