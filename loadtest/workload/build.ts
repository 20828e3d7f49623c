// Turns the command line's workload choice into a workload.

import type { WorkloadChoice } from '../args.ts';
import { readQueryFile } from './query-file.ts';
import { fileWorkload, type Workload } from './workload.ts';
import { zipfWorkload } from './zipf-workload.ts';

export function buildWorkload(w: WorkloadChoice): Workload {
  const encode = { ednsUdpSize: w.ednsUdpSize, dnssecOk: w.dnssecOk };
  if (w.queriesFile) return fileWorkload(readQueryFile(w.queriesFile), `query file ${w.queriesFile}`, encode);
  if (w.zipf) return zipfWorkload(w.zipf, encode);
  throw new Error('no workload given');
}
