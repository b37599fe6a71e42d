export declare const DEMO_SOURCES: readonly string[];
