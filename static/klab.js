// klab.js - search as you type in the top bar: asks /api/search while the
// person types and lists the best notes and labs under the box. Arrow keys move,
// Enter opens, Escape closes, "/" focuses the box. Pages work without it.
(function () {
  'use strict';
  var box = document.getElementById('search-box');
  var list = document.getElementById('search-suggest');
  if (!box || !list) return;

  var timer = 0, seq = 0, active = -1;

  function items() { return list.querySelectorAll('.suggest-item'); }

  function close() {
    list.hidden = true;
    box.setAttribute('aria-expanded', 'false');
    active = -1;
  }

  function open() {
    list.hidden = false;
    box.setAttribute('aria-expanded', 'true');
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // title_html and snippet_html come from the server already escaped, with
  // <mark> around the hits and nothing else.
  function render(data, q) {
    list.textContent = '';
    active = -1;
    if (data.message) {
      list.appendChild(el('div', 'suggest-empty', data.message));
    } else if (!data.results.length) {
      list.appendChild(el('div', 'suggest-empty', 'No note or lab matches “' + q + '”.'));
    }
    data.results.forEach(function (r, i) {
      var a = el('a', 'suggest-item');
      a.href = r.url;
      a.id = 'suggest-' + i;
      a.setAttribute('role', 'option');
      var kind = el('span', 'kind kind-' + r.kind, r.kind);
      var title = el('span', 'suggest-title');
      title.innerHTML = r.title_html;
      var snip = el('span', 'suggest-snippet');
      snip.innerHTML = r.snippet_html;
      a.appendChild(kind);
      a.appendChild(document.createTextNode(' '));
      a.appendChild(title);
      a.appendChild(snip);
      list.appendChild(a);
    });
    if (data.results.length) {
      var all = el('a', 'suggest-all', 'All results for “' + q + '” →');
      all.href = '/search?q=' + encodeURIComponent(q);
      list.appendChild(all);
    }
    open();
  }

  function query() {
    var q = box.value;
    if (!q.trim()) { close(); return; }
    var mine = ++seq;
    fetch('/api/search?limit=8&q=' + encodeURIComponent(q), { headers: { Accept: 'application/json' } })
      .then(function (r) { return r.json(); })
      .then(function (data) { if (mine === seq && box.value === q) render(data, q); })
      .catch(function () { /* the form still works */ });
  }

  function move(step) {
    var all = items();
    if (!all.length) return;
    if (active >= 0) all[active].classList.remove('active');
    active = (active + step + all.length) % all.length;
    all[active].classList.add('active');
    all[active].scrollIntoView({ block: 'nearest' });
    box.setAttribute('aria-activedescendant', all[active].id);
  }

  box.addEventListener('input', function () {
    clearTimeout(timer);
    timer = setTimeout(query, 90);
  });
  box.addEventListener('focus', function () { if (box.value.trim() && list.childNodes.length) open(); });
  box.addEventListener('keydown', function (e) {
    if (e.key === 'ArrowDown') { e.preventDefault(); if (list.hidden) query(); else move(1); }
    else if (e.key === 'ArrowUp') { e.preventDefault(); move(-1); }
    else if (e.key === 'Escape') { close(); }
    else if (e.key === 'Enter' && active >= 0) {
      e.preventDefault();
      window.location.href = items()[active].href;
    }
  });
  document.addEventListener('click', function (e) {
    if (!list.contains(e.target) && e.target !== box) close();
  });
  document.addEventListener('keydown', function (e) {
    var t = e.target.tagName;
    if (e.key === '/' && t !== 'INPUT' && t !== 'TEXTAREA' && t !== 'SELECT') {
      e.preventDefault();
      box.focus();
      box.select();
    }
  });
}());
