// mynotes.js - the editor of your own notes (/my/NAME/edit): a live preview
// rendered by the server (POST /api/my/preview with the page's session token,
// cmark in safe mode, so the HTML it answers is safe to insert), Ctrl-S or
// Cmd-S to save, and a warning before leaving with unsaved changes. The form
// saves without it.
(function () {
  'use strict';
  var form = document.getElementById('my-edit-form');
  var text = document.getElementById('my-text');
  var preview = document.getElementById('my-preview');
  var state = document.getElementById('my-state');
  if (!form || !text || !preview) return;
  var token = form.querySelector('input[name="token"]').value;
  var url = form.getAttribute('data-preview');
  var saved = text.value, timer = 0, seq = 0, leaving = false;

  function say(s) { if (state) state.textContent = s; }

  function refresh() {
    var mine = ++seq;
    var body = new URLSearchParams();
    body.set('text', text.value);
    fetch(url, {
      method: 'POST',
      headers: { 'X-Klab-Token': token },
      body: body,
      credentials: 'same-origin',
    }).then(function (r) {
      if (!r.ok) throw new Error('preview: HTTP ' + r.status);
      return r.text();
    }).then(function (html) {
      if (mine !== seq) return;
      preview.innerHTML = html;
      preview.setAttribute('data-seq', String(mine));
    }).catch(function (e) {
      if (mine === seq) say(e.message);
    });
  }

  text.addEventListener('input', function () {
    say(text.value === saved ? '' : 'Unsaved changes');
    clearTimeout(timer);
    timer = setTimeout(refresh, 200);
  });
  document.addEventListener('keydown', function (e) {
    if ((e.ctrlKey || e.metaKey) && e.key === 's') {
      e.preventDefault();
      leaving = true;
      form.requestSubmit ? form.requestSubmit() : form.submit();
    }
  });
  form.addEventListener('submit', function () { leaving = true; say('Saving…'); });
  window.addEventListener('beforeunload', function (e) {
    if (!leaving && text.value !== saved) {
      e.preventDefault();
      e.returnValue = '';
    }
  });
}());
