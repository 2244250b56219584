/**
 * What Forge's iframe host gives a Custom UI page: `window.__bridge.callBridge`, the one function the real
 * @forge/bridge bundle calls. Here it forwards each call to the fake Forge platform, which holds the
 * page's session (installation, user, module) and performs the invocation. Browser code, kept as a string.
 */
export const FAKE_BRIDGE_JS = `(function () {
  'use strict';
  var session = new URLSearchParams(window.location.search).get('session') || '';
  window.__bridge = {
    callBridge: function (command, payload) {
      return fetch('/__bridge?session=' + encodeURIComponent(session), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ command: command, payload: payload }),
        cache: 'no-store',
      }).then(function (response) { return response.json(); });
    },
  };
})();
`;
