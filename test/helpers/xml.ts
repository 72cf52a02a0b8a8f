/**
 * A small XML 1.0 well-formedness check (no dependency): one root element, balanced and properly nested tags,
 * quoted and unique attributes, only the five predefined entities or character references, no raw `<` or `&` in text.
 */
export function assertWellFormedXml(xml: string): void {
  const name = "[A-Za-z_][A-Za-z0-9_.:-]*";
  const reference = "&(?:amp|lt|gt|quot|apos|#[0-9]+|#x[0-9A-Fa-f]+);";
  const attributeValue = `"(?:[^"<&]|${reference})*"`;
  const tag = new RegExp(`^<(/?)(${name})((?:\\s+${name}\\s*=\\s*${attributeValue})*)\\s*(/?)>`);
  const text = new RegExp(`^(?:[^<&]|${reference})+`);
  if (/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u.test(xml)) throw new Error("character not allowed in XML");
  let rest = xml.replace(/^<\?xml version="1\.0" encoding="UTF-8"\?>\n/, "");
  if (rest === xml) throw new Error("no XML declaration");
  const open: string[] = [];
  let roots = 0;
  while (rest.length > 0) {
    const textMatch = text.exec(rest);
    if (textMatch) {
      if (open.length === 0 && textMatch[0].trim() !== "") throw new Error(`text outside the root: ${textMatch[0].slice(0, 40)}`);
      rest = rest.slice(textMatch[0].length);
      continue;
    }
    const tagMatch = tag.exec(rest);
    if (!tagMatch) throw new Error(`not well-formed at: ${rest.slice(0, 60)}`);
    const [whole, closing, tagName, attributes, selfClosing] = tagMatch;
    const names = [...(attributes ?? "").matchAll(new RegExp(`(${name})\\s*=`, "g"))].map((match) => match[1]);
    if (new Set(names).size !== names.length) throw new Error(`duplicate attribute in <${tagName}>`);
    if (closing) {
      if (open.pop() !== tagName) throw new Error(`</${tagName}> closes the wrong element`);
    } else {
      if (open.length === 0 && ++roots > 1) throw new Error("more than one root element");
      if (!selfClosing) open.push(tagName as string);
    }
    rest = rest.slice(whole.length);
  }
  if (open.length > 0) throw new Error(`unclosed <${open.join("><")}>`);
  if (roots !== 1) throw new Error("no root element");
}
