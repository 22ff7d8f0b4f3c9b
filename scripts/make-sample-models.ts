// Writes models/sample-mlp-784-64-10.json: a 784-64-10 int8 MLP with seeded random weights (not
// trained; the trained MNIST model comes from the MNIST pipeline). Remake: npm run build &&
// node dist/scripts/make-sample-models.js
import { modelToJson, randomModel } from '@verilay/inference';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const model = randomModel({
  seed: 1,
  kind: 'mlp',
  sizes: [784, 64, 10],
  argmax: true,
  name: 'sample-mlp-784-64-10',
});
const file = join(__dirname, '../../models/sample-mlp-784-64-10.json');
writeFileSync(file, JSON.stringify(modelToJson(model)) + '\n');
console.log(`wrote ${file}`);
