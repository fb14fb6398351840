export { AuditLogParser, parseAuditText, type AuditParseResult, type AuditSink } from './parse.js';
export { forEachLine, LineSplitter, readAuditSources } from './read.js';
export { AUDIT_LOG_FORMATS, type AuditLogFormat } from './formats/index.js';
