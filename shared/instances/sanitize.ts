/**
 * HTML-sanitising of instance names and tags (`<a href=x>churros-xss</a>` ->
 * `churros-xss`). Names are shown in consoles; stripping markup keeps stored XSS out of them.
 * Content of script/style elements is dropped entirely, other tags are removed keeping their text.
 */
const DROP_WITH_CONTENT =
  /<(script|style|iframe|object|embed|noscript|template)\b[^>]*>[\s\S]*?(<\/\1\s*>|$)/gi;
const TAG = /<\/?[a-z!?][^>]*>?/gi;
// Control characters (C0 and DEL) break log lines and consoles; built from code points for the linter.
const CONTROL = new RegExp(
  `[${String.fromCharCode(0)}-${String.fromCharCode(31)}${String.fromCharCode(127)}]`,
  'g',
);

export const sanitizeText = (value: string): string => {
  let text = value;
  // Repeat until stable, so nested/overlapping constructs (`<scr<script>x</script>ipt>`) cannot
  // reassemble. Script-like elements go first: tags are only stripped once none is left, otherwise a
  // reassembled `<script>` would lose its tags but keep its content.
  for (let round = 0; round < 20; round += 1) {
    const dropped = text.replace(DROP_WITH_CONTENT, '');
    if (dropped !== text) {
      text = dropped;
      continue;
    }
    const stripped = text.replace(TAG, '');
    if (stripped === text) break;
    text = stripped;
  }
  return text.replace(/[<>]/g, '').replace(CONTROL, ' ').replace(/\s+/g, ' ').trim();
};

export const sanitizeTags = (tags: readonly string[]): string[] => {
  const seen = new Set<string>();
  for (const tag of tags) {
    const clean = sanitizeText(tag);
    if (clean !== '') seen.add(clean);
  }
  return [...seen];
};
