// The backprop stepper's one entry point, for both hosts: the standalone page (standalone.js)
// and the notebook widget (widget.js).
//
// mountBackprop(el, data, options) renders the backward pass inside `el` from `data`, the plain
// dict micrograd_like.page.backprop_data() makes: a network nn built opens on its network view
// (network.js), the scalar graph one tab away; any other graph opens on the scalar view
// (page.js). options.documentKeys: the keys work anywhere in the document (the standalone page);
// otherwise only while `el` has the focus or the pointer is over it.
//
// At the top, the quiz's switch and score (page.js's quizBar), for every view of the mount: the
// quiz starts on when data.quiz is true (save_backprop_html(..., quiz=True), or the widget's
// data made the same way). The views get the mount's Quiz as options.quiz, and the box "print
// every step" (options.print).

import {Quiz, mountScalar, quizBar} from "./page.js";
import {mountTabs} from "./network.js";

export function mountBackprop(el, data, options) {
  const quiz = new Quiz(data.quiz === true);
  const views = Object.assign({}, options, {quiz: quiz, print: true});
  const mounted = data.network ? mountTabs(el, data, views) : mountScalar(el, data, views);
  el.insertBefore(quizBar(quiz), el.firstChild);
  return mounted;
}
