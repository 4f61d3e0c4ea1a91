// The notebook widget's entry (micrograd_like.notebook): anywidget calls render() with the
// widget's model, whose `data` is backprop_data() as JSON, and the element the notebook gives
// this output. mountBackprop measures the drawing (where each gradient goes under its box), which
// only works on screen, and a notebook may render an output before attaching it or inside a
// hidden tab: so it mounts at the first frame the element shows.

import {mountBackprop} from "./backprop.js";

export default {
  render({ model, el }) {
    let frame = 0;
    const mount = () => {
      if (!el.isConnected || el.getClientRects().length === 0) {
        frame = requestAnimationFrame(mount);
        return;
      }
      mountBackprop(el, JSON.parse(model.get("data")));
    };
    mount();
    return () => cancelAnimationFrame(frame);
  },
};
