// A horizontal bar chart in SVG built with DOM calls (no library, no inline style: sizes are SVG attributes, colours
// come from booth.css). The chart is decorative for screen readers (aria-hidden); the table next to it has the numbers.
const SVG = 'http://www.w3.org/2000/svg';

function svg(tag, attrs = {}, text = null) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== null) node.textContent = text;
  return node;
}

/**
 * rows: [{label, count, blank?}]; total: the denominator of the percentages; format: {count(n), share(fraction)} in
 * the page's language (Intl).
 */
export function barChart(rows, total, format) {
  const rowHeight = 34;
  const labelWidth = 180;
  const barWidth = 320;
  const width = labelWidth + barWidth + 110;
  const root = svg('svg', { class: 'chart', viewBox: `0 0 ${width} ${rows.length * rowHeight + 8}`, 'aria-hidden': 'true',
    focusable: 'false' });
  rows.forEach((row, i) => {
    const y = 4 + i * rowHeight;
    const share = total > 0 ? row.count / total : 0;
    // long labels are shortened to fit the label column; the table beside the chart has them in full
    const label = row.label.length > 24 ? `${row.label.slice(0, 23)}…` : row.label;
    root.append(
      svg('text', { x: labelWidth - 8, y: y + 20, 'text-anchor': 'end', 'font-size': 14 }, label),
      svg('rect', { class: 'track', x: labelWidth, y: y + 4, width: barWidth, height: 22, rx: 3 }),
      svg('rect', { class: row.blank ? 'bar blank' : 'bar', x: labelWidth, y: y + 4,
        width: Math.max(share * barWidth, row.count > 0 ? 2 : 0).toFixed(1), height: 22, rx: 3 }),
      svg('text', { x: labelWidth + barWidth + 8, y: y + 20, 'font-size': 14 }, `${format.count(row.count)} (${format.share(share)})`),
    );
  });
  return root;
}
