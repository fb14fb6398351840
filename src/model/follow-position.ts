/** How far a followed log file was read: identity of the file, offset after the last complete line, first-bytes hash. */
export interface FilePosition {
  /** The followed path (the logical stream; the file read may be a rotated copy of it). */
  path: string;
  dev: string;
  inode: string;
  /** Byte offset just after the last complete line taken. */
  offset: number;
  /** SHA-256 (hex) of the first `fingerprintLength` bytes of the file read. */
  fingerprint: string;
  fingerprintLength: number;
}
