export * from './gen/oja/v1/agent';
