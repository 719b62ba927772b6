// `-o text|json|yaml` for the commands that read: text for people, JSON and
// YAML (the same object) for scripts. Apart from output.ts, so that defining
// the commands does not load the YAML writer (every `keelson operator` and
// `keelson watch` defines them).
import { Option } from 'commander';

export const outputFormats = ['text', 'json', 'yaml'] as const;
export type OutputFormat = (typeof outputFormats)[number];

export const outputOption = (): Option =>
  new Option('-o, --output <format>', 'how to print it').choices(outputFormats).default('text');
