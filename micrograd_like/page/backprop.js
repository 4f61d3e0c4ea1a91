// The backprop stepper's one entry point, for both hosts: the standalone page (standalone.js)
// and the notebook widget (widget.js).
//
// mountBackprop(el, data, options) renders the backward pass inside `el` from `data`, the plain
// dict micrograd_like.page.backprop_data() makes: a network nn built opens on its network view
// (network.js), the scalar graph one tab away; any other graph opens on the scalar view
// (page.js). options.documentKeys: the keys work anywhere in the document (the standalone page);
// otherwise only while `el` has the focus or the pointer is over it.

import {mountScalar} from "./page.js";
import {mountTabs} from "./network.js";

export function mountBackprop(el, data, options) {
  if (data.network) return mountTabs(el, data, options || {});
  return mountScalar(el, data, options);
}
