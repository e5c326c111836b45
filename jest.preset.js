// Shared Jest settings: swc transform (decorators + metadata for Nest/TypeORM), workspace libs from source.
const path = require('node:path');
const root = __dirname;
module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
          keepClassNames: true,
          target: 'es2022',
        },
        module: { type: 'commonjs' },
      },
    ],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: {
    '^@oja/contracts$': path.join(root, 'libs/contracts/src/index.ts'),
    '^@oja/proto$': path.join(root, 'libs/proto/src/index.ts'),
    '^@oja/scheduler$': path.join(root, 'libs/scheduler/src/index.ts'),
    '^@oja/wireguard$': path.join(root, 'libs/wireguard/src/index.ts'),
  },
};
