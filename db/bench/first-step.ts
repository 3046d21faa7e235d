export async function firstStepLatency(_url: string, _runs: number): Promise<void> {}
