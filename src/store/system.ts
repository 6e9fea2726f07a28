/** The Nix-style system double (`x86_64-linux`) that enters every derivation. */
export function currentSystem(): string {
  const arch: Record<string, string> = { x64: "x86_64", arm64: "aarch64", ia32: "i686", arm: "armv7l" };
  return `${arch[process.arch] ?? process.arch}-${process.platform}`;
}
