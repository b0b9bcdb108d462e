import { describe, expect, it } from 'vitest';
import { detectUploadFormat, parseBulkQuery, parseDownloadBody, parseJobsWhere } from '../../shared/bulk/api';
import { messagesOf } from '../../shared/bulk/worker';

describe('parseBulkQuery (q of POST /bulk/query)', () => {
  it('reads select *, the object name, where and order by', () => {
    expect(parseBulkQuery('select * from incidents')).toEqual({ objectName: 'incidents' });
    expect(parseBulkQuery("SELECT * FROM incidents WHERE priority = '1' ORDER BY number desc")).toEqual({
      objectName: 'incidents',
      where: "priority = '1'",
      orderBy: 'number desc',
    });
    expect(
      parseBulkQuery('select number, short_description , caller_id.email from incident order by number'),
    ).toEqual({
      selectFields: ['number', 'short_description', 'caller_id.email'],
      objectName: 'incident',
      orderBy: 'number',
    });
  });

  it('does not split on keywords inside quoted values or parentheses', () => {
    expect(
      parseBulkQuery(
        "select * from incidents where short_description = 'order by where from' and (a = 'x''s order by')",
      ),
    ).toEqual({
      objectName: 'incidents',
      where: "short_description = 'order by where from' and (a = 'x''s order by')",
    });
    expect(parseBulkQuery('select * from incidents where order_by_field = 1')).toEqual({
      objectName: 'incidents',
      where: 'order_by_field = 1',
    });
  });

  it('refuses what it cannot read with a 400 that says why', () => {
    const message = (q: string | undefined) => {
      try {
        parseBulkQuery(q);
      } catch (error) {
        return `${(error as { status: number }).status} ${(error as Error).message}`;
      }
      return 'accepted';
    };
    expect(message(undefined)).toMatch(/^400 q is required/);
    expect(message('delete from incidents')).toMatch(/^400 .*select/);
    expect(message('select * incidents')).toMatch(/^400 .*from/);
    expect(message('select *, number from incidents')).toMatch(/^400 .*\*/);
    expect(message('select num-ber from incidents')).toMatch(/^400 .*invalid field/);
    expect(message('select * from inc;idents')).toMatch(/^400 .*object name/);
    expect(message('select * from incidents limit 5')).toMatch(/^400 .*expected "where"/);
    expect(message('select * from incidents where')).toMatch(/^400 .*condition/);
    expect(message("select * from incidents where a = 'open")).toMatch(/^400 .*unterminated/);
    expect(message('select * from incidents order by number where a = 1')).toMatch(/^400 .*before/);
  });
});

describe('request bodies', () => {
  it('normalises a v3 download request and refuses unknown fields', () => {
    expect(
      parseDownloadBody({
        objectName: 'incidents',
        format: 'txt/csv',
        selectFields: 'number, state',
        pageSize: 10,
      }),
    ).toMatchObject({ downloadFormat: 'csv', fields: ['number', 'state'], pageSize: 10 });
    expect(() => parseDownloadBody({ objectName: 'incidents', format: 'text/csv', pagesize: 1 })).toThrow(
      /pagesize/,
    );
    expect(() => parseDownloadBody({ format: 'text/csv' })).toThrow(/objectName/);
    expect(() => parseDownloadBody({ objectName: 'incidents', format: 'application/xml' })).toThrow(
      /Unsupported/,
    );
    expect(() => parseDownloadBody([])).toThrow(/JSON object/);
  });

  it('reads job list filters', () => {
    expect(
      parseJobsWhere("object_name='incidents' and job_status='completed' and job_direction='DOWNLOAD'"),
    ).toMatchObject({
      objectName: 'incidents',
      status: 'COMPLETED',
      direction: 'download',
    });
    const job = {
      objectName: 'incidents',
      status: 'COMPLETED' as const,
      direction: 'download' as const,
      recordsCount: 10,
      recordsFailedCount: 2,
      createdAt: '2026-01-02T00:00:00.000Z',
    };
    const matches = (where: string) => parseJobsWhere(where).matches?.(job);
    expect(parseJobsWhere("object_name='a' or object_name='b'")).toEqual({ matches: expect.any(Function) });
    expect(matches("object_name='a' or object_name='incidents'")).toBe(true);
    expect(matches('record_count > 5 and error_count <= 2')).toBe(true);
    expect(matches('record_count > 10')).toBe(false);
    expect(matches("job_status in ('ERROR', 'completed')")).toBe(true);
    expect(matches("object_name like 'inc%'")).toBe(true);
    expect(matches("created_date >= '2026-01-01'")).toBe(true);
    expect(() => parseJobsWhere("record_count = 'many'")).toThrow(/numbers/);
    expect(() => parseJobsWhere("job_status='DONE'")).toThrow(/job_status/);
    expect(() => parseJobsWhere("owner='x'")).toThrow(/unknown field/);
  });

  it('detects an upload format from metaData, the part type or the file name', () => {
    expect(detectUploadFormat('jsonl', { fileName: 'x.csv', contentType: 'text/csv' })).toBe('jsonl');
    expect(detectUploadFormat(undefined, { fileName: 'x', contentType: 'application/json' })).toBe('json');
    expect(
      detectUploadFormat(undefined, { fileName: 'rows.NDJSON', contentType: 'application/octet-stream' }),
    ).toBe('jsonl');
    expect(() =>
      detectUploadFormat(undefined, { fileName: 'rows.xlsx', contentType: 'application/octet-stream' }),
    ).toThrow(/Unsupported/);
  });
});

describe('worker messages', () => {
  it('reads bulk messages and S3 notifications of incoming files, and ignores the rest', () => {
    expect(
      messagesOf(JSON.stringify({ jobId: 'j1', instanceId: '7', kind: 'download-chunk', chunk: 3 })),
    ).toEqual([{ jobId: 'j1', instanceId: '7', kind: 'download-chunk', chunk: 3 }]);
    expect(
      messagesOf(
        JSON.stringify({ jobId: 'j1', instanceId: '7', kind: 'download-chunk', chunk: 0, partition: 2 }),
      ),
    ).toEqual([{ jobId: 'j1', instanceId: '7', kind: 'download-chunk', chunk: 0, partition: 2 }]);
    expect(
      messagesOf(JSON.stringify({ jobId: 'j1', instanceId: '7', kind: 'download-chunk', partition: -1 })),
    ).toEqual([]);
    const s3 = {
      Records: [
        { eventName: 'ObjectCreated:Put', s3: { object: { key: 'incoming/12/abc123' } } },
        { eventName: 'ObjectRemoved:Delete', s3: { object: { key: 'incoming/12/gone' } } },
        { eventName: 'ObjectCreated:Put', s3: { object: { key: 'jobs/abc/result.csv' } } },
      ],
    };
    expect(messagesOf(JSON.stringify(s3))).toEqual([{ jobId: 'abc123', instanceId: '12', kind: 'upload' }]);
    expect(messagesOf(JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent' }))).toEqual([]);
    expect(messagesOf('not json')).toEqual([]);
    expect(
      messagesOf(JSON.stringify({ jobId: 'j1', instanceId: '7', kind: 'convert', format: 'csv' })),
    ).toEqual([{ jobId: 'j1', instanceId: '7', kind: 'convert', format: 'csv' }]);
    expect(
      messagesOf(JSON.stringify({ jobId: 'j1', instanceId: '7', kind: 'convert', format: 'xml' })),
    ).toEqual([]);
    expect(messagesOf(JSON.stringify({ jobId: 'j1', instanceId: '7', kind: 'delete-everything' }))).toEqual(
      [],
    );
  });
});
