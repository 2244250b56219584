/**
 * Stands in for https://connect-cdn.atl-paas.net/all.js in browser tests. Like the real one, it runs in the
 * app's iframe and asks the hosting (fake) Jira page for tokens, flags and resizing over postMessage, to the
 * origin Jira passes as `xdm_e`. Kept as a string: it is browser code, served by a Playwright route.
 */
export const FAKE_ALL_JS = `(function () {
  'use strict';
  var hostOrigin = new URLSearchParams(window.location.search).get('xdm_e');
  if (!hostOrigin || window.parent === window) {
    return;
  }
  var pending = new Map();
  var nextId = 0;

  function call(method, args) {
    return new Promise(function (resolve, reject) {
      nextId += 1;
      pending.set(nextId, { resolve: resolve, reject: reject });
      window.parent.postMessage({ fakeAp: 'call', id: nextId, method: method, args: args || [] }, hostOrigin);
    });
  }

  window.addEventListener('message', function (event) {
    if (event.source !== window.parent || event.origin !== hostOrigin) return;
    var data = event.data;
    if (!data || data.fakeAp !== 'reply') return;
    var waiting = pending.get(data.id);
    if (!waiting) return;
    pending.delete(data.id);
    if (data.error) waiting.reject(new Error(data.error));
    else waiting.resolve(data.result);
  });

  var lastHeight = 0;
  // Like the real all.js: the content's height, not the frame's (which only ever grows otherwise).
  function reportSize() {
    if (!document.body) return;
    var style = window.getComputedStyle(document.body);
    var height = Math.ceil(document.body.getBoundingClientRect().height + parseFloat(style.marginTop) + parseFloat(style.marginBottom));
    if (height !== lastHeight) {
      lastHeight = height;
      call('resize', [{ height: height }]);
    }
  }

  window.AP = {
    context: {
      getToken: function (callback) {
        var promise = call('getToken');
        if (typeof callback === 'function') promise.then(callback, function () { callback(undefined); });
        return promise;
      },
    },
    flag: {
      create: function (options) {
        var created = call('flag', [options]);
        return {
          close: function () {
            created.then(function (flagId) { return call('closeFlag', [flagId]); });
          },
        };
      },
    },
    resize: function () {
      reportSize();
    },
    sizeToParent: function () {},
  };

  function observe() {
    if (typeof ResizeObserver === 'function') new ResizeObserver(reportSize).observe(document.body);
    reportSize();
  }
  if (document.body) observe();
  else document.addEventListener('DOMContentLoaded', observe);
})();
`;
