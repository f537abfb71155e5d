/** Runs the shared storage contract against the in-memory driver. */

import { storageContract } from '../../core/storage/contract.js';
import { createMemoryDriver } from './index.js';

storageContract('memory', () => createMemoryDriver());
