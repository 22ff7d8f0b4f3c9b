import { startAnvil } from './start-anvil';

describe(startAnvil.name, () => {
  it('refuses a port another chain holds, rather than hand out that chain as its own', async () => {
    const other = await startAnvil();
    try {
      const port = Number(new URL(other.rpcUrl).port);
      // Our anvil cannot bind; the other one answers the RPC calls: its genesis is not ours.
      await expect(startAnvil({ port })).rejects.toThrow(/another process answers/);
    } finally {
      await other.stop();
    }
  });

  it('gives each fresh chain its own genesis', async () => {
    const [a, b] = await Promise.all([startAnvil(), startAnvil()]);
    try {
      const genesis = async (url: string) =>
        (
          (await (
            await fetch(url, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({
                jsonrpc: '2.0',
                id: 1,
                method: 'eth_getBlockByNumber',
                params: ['0x0', false],
              }),
            })
          ).json()) as { result: { hash: string } }
        ).result.hash;
      expect(a.rpcUrl).not.toBe(b.rpcUrl);
      expect(await genesis(a.rpcUrl)).not.toBe(await genesis(b.rpcUrl));
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});
