// Placeholder until the HTTP-surface work lands: replaced by a middy-wrapped handler.
export const handler = async () => ({
  statusCode: 200,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ status: 'ok' }),
});
