// Why and how sure: the person's text with the words that moved the reading marked, those words in one
// line, and how sure the reading is in plain words. Built with DOM calls: the text is never parsed as markup.

// The server counts word positions in its normalised text (apps.emotion.services.normalise: NFC, every run
// of Python's \s made one space, trimmed). JavaScript's \s differs (it has U+FEFF, lacks U+001C-1F and
// U+0085), so Python's set is spelled out: the words counted here are the words counted there.
const WHITESPACE = "[\\t-\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]+";
const SPLIT = new RegExp(`(${WHITESPACE})`, "u");

export const percent = (p) => `${Math.round(Number(p) * 100)}%`;

// "furious" pushed the reading towards hate (31 points): what removing the word took from the top emotion.
function influence(word, topEmotion) {
  const points = Math.round(Math.abs(Number(word.weight)) * 100);
  const amount = points < 1 ? "under 1 point" : `${points} point${points === 1 ? "" : "s"}`;
  const way = Number(word.weight) >= 0 ? "pushed the reading towards" : "held the reading back from";
  return `“${word.word}” ${way} ${topEmotion} (${amount})`;
}

function markFor(word, topEmotion, text) {
  const mark = document.createElement("mark");
  mark.className = "reading-word";
  mark.title = influence(word, topEmotion);
  mark.dataset.position = String(word.position);
  if (text !== undefined) mark.textContent = text;
  return mark;
}

// `text` as written (its own spacing kept), with each of `words` ({word, position, span, weight}) in a
// <mark> titled with its influence. A word whose position does not hold it is left unmarked rather than
// marking the wrong one.
export function renderMarkedText(container, text, words = [], topEmotion = "") {
  const byPosition = new Map(words.filter((w) => Number.isInteger(w.position) && w.position >= 0).map((w) => [w.position, w]));
  const out = document.createDocumentFragment();
  let open = null; // the <mark> of a run of words being filled, and the index of its last word
  let index = -1;
  text.normalize("NFC").split(SPLIT).forEach((part, i) => {
    if (part === "") return;
    const isWord = i % 2 === 0; // split() with a capturing group alternates word, whitespace, word…
    if (isWord) index += 1;
    const word = isWord && !open ? byPosition.get(index) : undefined;
    if (word && word.word && part.includes(String(word.word).split(" ")[0])) {
      const span = Math.max(1, Number(word.span) || 1);
      const at = part.indexOf(word.word);
      if (span === 1 && at >= 0) {
        // One word: mark the word itself, not the punctuation around it.
        out.append(part.slice(0, at), markFor(word, topEmotion, word.word), part.slice(at + word.word.length));
        return;
      }
      open = { mark: markFor(word, topEmotion), last: index + span - 1 };
      out.append(open.mark);
    }
    (open ? open.mark : out).append(part);
    if (open && isWord && index >= open.last) open = null;
  });
  container.replaceChildren(out);
}

// "Words that moved the reading: furious, scream" (strongest first); "" when there is nothing to say.
export function describeWords(prediction, text) {
  const words = prediction.words || [];
  if (!text || !prediction.explanation_method) return ""; // erased text, or a reading made before explanations
  if (!words.length) return "No single word moved the reading much: it comes from your words together.";
  return `Words that moved the reading: ${words.map((w) => w.word).join(", ")}`;
}

// How sure, in plain words; `startIsReading` is false when the person placed "you now" themselves.
export function describeConfidence(prediction, startIsReading) {
  if (prediction.confidence === null || prediction.confidence === undefined) return { sure: "", unsure: "" };
  const sure = `How sure the reading is: confidence ${percent(prediction.confidence)}.`;
  if (!prediction.unsure) return { sure, unsure: "" };
  const fix = startIsReading ? " Drag “you now” on the plane if it's off." : " You placed “you now” yourself.";
  return { sure, unsure: `I'm not sure about this reading — your words could point several ways.${fix}` };
}
