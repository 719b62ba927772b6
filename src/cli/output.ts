// Printing what a reading command found in the format of its `-o` (output-option.ts).
import { stringify } from 'yaml';
import type { OutputFormat } from './output-option.ts';

export type { OutputFormat } from './output-option.ts';

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
