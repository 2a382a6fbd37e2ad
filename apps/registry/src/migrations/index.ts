import { CreateRegistrySchema1764300100000 } from './1764300100000-CreateRegistrySchema.js';
import { QuarantineMessageKeyBytes1764300200000 } from './1764300200000-QuarantineMessageKeyBytes.js';
import { LookupNumberIndex1764400000000 } from './1764400000000-LookupNumberIndex.js';
import { Lz4Compression1764500000000 } from './1764500000000-Lz4Compression.js';
import { TrigramIndexWithoutPendingList1764600000000 } from './1764600000000-TrigramIndexWithoutPendingList.js';
import { ConflictSides1764700000000 } from './1764700000000-ConflictSides.js';
import { DigestOrderIndexes1764800000000 } from './1764800000000-DigestOrderIndexes.js';
import { ExportOrderIndexes1764900000000 } from './1764900000000-ExportOrderIndexes.js';
import { AliasHistory1765000000000 } from './1765000000000-AliasHistory.js';
import { MarkPictures1765000200000 } from './1765000200000-MarkPictures.js';
import { MarkPictureBands1765000300000 } from './1765000300000-MarkPictureBands.js';
import { AccessTrail1765210000000 } from './1765210000000-AccessTrail.js';

/** In order. Add new migrations at the end; never edit one that has shipped. */
export const REGISTRY_MIGRATIONS = [
  CreateRegistrySchema1764300100000,
  QuarantineMessageKeyBytes1764300200000,
  LookupNumberIndex1764400000000,
  Lz4Compression1764500000000,
  TrigramIndexWithoutPendingList1764600000000,
  ConflictSides1764700000000,
  DigestOrderIndexes1764800000000,
  ExportOrderIndexes1764900000000,
  AliasHistory1765000000000,
  MarkPictures1765000200000,
  MarkPictureBands1765000300000,
  AccessTrail1765210000000,
];
