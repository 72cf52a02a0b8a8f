/**
 * `compute` run once per key (a project, a Dockerfile) and its answer kept while the key lives. Rules
 * share one project model, so what several rules, or one rule per Dockerfile, would derive again is
 * derived once.
 */
export function oncePer<Key extends object, Value>(compute: (key: Key) => Value): (key: Key) => Value {
  const answers = new WeakMap<Key, Value>();
  return (key) => {
    if (answers.has(key)) return answers.get(key) as Value;
    const answer = compute(key);
    answers.set(key, answer);
    return answer;
  };
}

/** The first item of each path, for lookups by path where a search of every item would run once per caller. */
export function firstByPath<Item extends { path: string }>(items: readonly Item[]): Map<string, Item> {
  const byPath = new Map<string, Item>();
  for (const item of items) if (!byPath.has(item.path)) byPath.set(item.path, item);
  return byPath;
}
