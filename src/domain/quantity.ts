// Kubernetes quantities (500m, 2Gi, 100G) as numbers, for comparing sizes.
/** A size in bytes from a Kubernetes quantity ("512Mi", "2G", "1000"). */
export function quantityBytes(quantity: string): number {
  const match = /^([0-9]+(?:\.[0-9]+)?)(m|k|M|G|T|P|Ki|Mi|Gi|Ti|Pi)?$/.exec(quantity);
  if (!match) throw new Error(`not a quantity: ${quantity}`);
  const factors: Record<string, number> = {
    '': 1,
    m: 0.001,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    P: 1e15,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
    Pi: 2 ** 50,
  };
  return Math.floor(Number(match[1]) * (factors[match[2] ?? ''] as number));
}
