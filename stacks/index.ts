export async function stacks() {
  const { bus } = await import("./bus.ts");
  return { bus: bus.name };
}
