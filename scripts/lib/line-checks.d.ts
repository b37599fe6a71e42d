import type { TSchema } from '@sinclair/typebox';

export const LINE_CHECKS_FILE: string;
export function lineChecksSource(schemas: Record<string, TSchema>): string;
