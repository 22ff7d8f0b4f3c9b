// A jest environment for specs that call native addons returning typed arrays (onnxruntime-node).
// Jest gives each spec its own realm, so an Int32Array made by the addon (outer realm) fails the
// `instanceof Int32Array` checks of onnxruntime-common (spec realm). Sharing the outer realm's
// typed-array constructors makes both sides agree. Use it with a docblock:
//   /** @jest-environment ./test/jest/outer-typed-arrays.environment.js */
const { TestEnvironment } = require('jest-environment-node');

const TYPED_ARRAYS = [
  'Int8Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
  'ArrayBuffer',
];

class OuterTypedArraysEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of TYPED_ARRAYS) this.global[name] = globalThis[name];
  }
}

module.exports = OuterTypedArraysEnvironment;
