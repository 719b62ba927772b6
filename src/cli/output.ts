// `-o text|json|yaml` for the commands that read: text for people, JSON and
// YAML (the same object) for scripts.
import { Option } from 'commander';
import { stringify } from 'yaml';

export const outputFormats = ['text', 'json', 'yaml'] as const;
export type OutputFormat = (typeof outputFormats)[number];

export const outputOption = (): Option =>
  new Option('-o, --output <format>', 'how to print it').choices(outputFormats).default('text');

export function renderOutput<T>(format: OutputFormat, data: T, text: (data: T) => string): string {
  switch (format) {
    case 'json':
      return JSON.stringify(data, null, 2);
    case 'yaml':
      return stringify(data).trimEnd();
    case 'text':
      return text(data);
  }
}
