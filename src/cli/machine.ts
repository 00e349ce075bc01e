/** What the figures were measured on: recorded with every result (timings depend on it). */
import * as tf from '@tensorflow/tfjs-core';
import {arch, cpus, loadavg, platform, release, totalmem} from 'node:os';

export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGiB: number;
  platform: string;
  node: string;
  tfjs: string;
  loadAverage: number[];
}

export function machineInfo(): MachineInfo {
  const c = cpus();
  return {
    cpu: c[0]?.model.trim() ?? 'unknown', cores: c.length, memoryGiB: Math.round(totalmem() / 2 ** 30),
    platform: `${platform()} ${release()} ${arch()}`, node: process.version, tfjs: tf.version_core,
    loadAverage: loadavg().map((v) => +v.toFixed(2)),
  };
}

/** A short file-system-safe machine label, e.g. "xeon-platinum-8375c-2c". */
export function machineSlug(info: MachineInfo = machineInfo()): string {
  const model = info.cpu.toLowerCase().replace(/\(r\)|\(tm\)|cpu|@.*$|processor|intel|amd|\d+-core/g, ' ')
      .trim().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
  return `${model || 'cpu'}-${info.cores}c`;
}
