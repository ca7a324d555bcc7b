/**
 * Every bound Gregor enforces, named in one place. Values that Kafka also has carry Kafka's
 * config name and default; the rest are Gregor's own safety limits.
 */
export const limits = {
  /** socket.request.max.bytes: largest request frame accepted (Kafka default 100 MiB). */
  socketRequestMaxBytes: 104_857_600,
  /** Largest array/map count a decoder accepts before allocating (per array). */
  decodeArrayCountMax: 1_000_000,
  /** Largest string a decoder accepts (Kafka strings are int16-sized; compact ones are not). */
  decodeStringBytesMax: 1_048_576,
  /** Largest bytes/records field a decoder accepts; never above the frame itself. */
  decodeBytesMax: 104_857_600,
  /** Deepest nesting of structs a decoder follows. */
  decodeDepthMax: 32,
  /** Most tagged fields one tagged-field section may declare (each also needs >= 2 bytes). */
  decodeTaggedFieldCountMax: 65_536,
} as const;
