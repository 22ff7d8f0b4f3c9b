import 'reflect-metadata';
import { ComputeBudgetExceededError } from '@verilay/inference';
import { ModelRepository, verifierDataSourceOptions } from '@verilay/storage';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { SystemClock } from '../clock';
import { toHttp } from '../http/api-exception.filter';
import { ModelsService } from './models.service';

describe(ModelsService.name, () => {
  let dir: string;
  let db: DataSource;
  let sut: ModelsService;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'verilay-models-'));
    db = await new DataSource(verifierDataSourceOptions(join(dir, 'v.sqlite'))).initialize();
    sut = new ModelsService(new ModelRepository(db), new SystemClock());
  });
  afterEach(async () => {
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('register', () => {
    it('refuses a model past the compute budget (finding 5) with 422 INVALID_MODEL naming the limit, and stores nothing', async () => {
      // Finding 5's first layer: a 1x1 conv padded by 1023 makes a 2047x2047 plane of one value.
      const document = {
        format: 'verilay.model.v1',
        input: { shape: [1, 1, 1], dtype: 'int8' },
        layers: [
          { op: 'conv2d', inChannels: 1, outChannels: 1, kernel: [1, 1], padding: [1023, 1023], weights: [1], bias: [0] },
        ],
      };
      const error = await sut.register(document).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ComputeBudgetExceededError);
      expect(toHttp(error)).toEqual([
        422,
        {
          error: expect.objectContaining({
            code: 'INVALID_MODEL',
            meta: { path: 'layers[0]', layer: 0, limit: 'maxTraceElements', value: 1 + 2047 ** 2, max: 2 ** 20 },
          }),
        },
      ]);
      expect(await db.query('SELECT count(*) AS n FROM models')).toEqual([{ n: 0 }]);
    });

    it('registers the shipped MNIST CNN, which fits the budget', async () => {
      const file = join(__dirname, '../../../../models/mnist/mnist-cnn.model.json');
      const registered = await sut.register(readFileSync(file, 'utf8'));
      expect(registered.created).toBe(true);
      expect((await sut.get(registered.modelId)).layers).toHaveLength(7);
    });
  });
});
