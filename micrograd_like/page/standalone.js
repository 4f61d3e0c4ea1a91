// The standalone page's entry (page.html): the stepper in the page's one element, on the data
// of its JSON block, its keys working anywhere in the page.

import {mountBackprop} from "./backprop.js";

mountBackprop(
  document.getElementById("backprop"),
  JSON.parse(document.getElementById("backprop-data").textContent),
  {documentKeys: true}
);
