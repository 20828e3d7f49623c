// Declarations for dns-packet's type table sub-module (not covered by @types/dns-packet).
declare module 'dns-packet/types.js' {
  const types: { toString(n: number): string; toType(s: string): number };
  export default types;
}
