import type { LayerReader } from './layer.js';
import type { ImageConfig, Platform } from './types.js';

/** What every image source produces; `openImage` turns it into an `OpenedImage`. */
export interface ImageBackend {
  ref: string;
  digest?: string;
  config: ImageConfig;
  platform: Platform;
  layers: LayerReader[];
  close(): Promise<void>;
}
