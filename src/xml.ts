// XML text escaping shared by the JUnit reporter and the SVG badge.
/**
 * Text for XML 1.0 content and attribute values. Characters XML cannot hold at all (C0 controls other than
 * tab, LF and CR; lone surrogates; U+FFFE/U+FFFF) become U+FFFD; line breaks and tabs are written as
 * character references so that attribute-value normalisation keeps them.
 */
export function escapeXml(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;")
    .replace(/\t/g, "&#9;")
    .replace(/\n/g, "&#10;")
    .replace(/\r/g, "&#13;");
}
