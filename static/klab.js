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

// Page helpers, each working without the others (and pages work without them):
// the table of contents open on a wide screen only (on a phone it would fill
// the first screen), a copy button on every code block, and diagrams opened
// full size in an overlay on a tap.
(function () {
  'use strict';

  var toc = document.querySelector('.toc details');
  if (toc && window.matchMedia('(min-width: 901px)').matches) toc.open = true;

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext)
      return navigator.clipboard.writeText(text);
    var ta = document.createElement('textarea');
    ta.value = text;
    ta.setAttribute('readonly', '');
    ta.className = 'copy-buffer';
    document.body.appendChild(ta);
    ta.select();
    var ok = document.execCommand('copy');
    document.body.removeChild(ta);
    return ok ? Promise.resolve() : Promise.reject(new Error('copy refused'));
  }

  document.querySelectorAll('.prose pre, pre.cmd').forEach(function (pre) {
    var box = document.createElement('div');
    box.className = 'codebox';
    pre.parentNode.insertBefore(box, pre);
    box.appendChild(pre);
    var b = document.createElement('button');
    b.type = 'button';
    b.className = 'copy';
    b.textContent = 'Copy';
    b.setAttribute('aria-label', 'Copy the code');
    b.addEventListener('click', function () {
      var code = pre.querySelector('code') || pre;
      // diffs: the lines without their numbers (those are drawn by CSS, not text)
      copyText(code.innerText.replace(/\n$/, '')).then(function () {
        b.textContent = 'Copied';
        b.classList.add('done');
        setTimeout(function () { b.textContent = 'Copy'; b.classList.remove('done'); }, 1500);
      }, function () { b.textContent = 'Press Ctrl+C'; });
    });
    box.appendChild(b);
  });

  function closeBox(box, opener) {
    box.remove();
    document.body.classList.remove('has-lightbox');
    if (opener) opener.focus();
  }

  document.querySelectorAll('a.diagram').forEach(function (a) {
    a.addEventListener('click', function (e) {
      if (e.ctrlKey || e.metaKey || e.shiftKey) return; // a new tab, as asked
      e.preventDefault();
      var box = document.createElement('div');
      box.className = 'lightbox';
      box.setAttribute('role', 'dialog');
      box.setAttribute('aria-modal', 'true');
      box.setAttribute('aria-label', a.querySelector('img').alt || 'Diagram');
      var img = document.createElement('img');
      img.src = a.href;
      img.alt = a.querySelector('img').alt;
      var close = document.createElement('button');
      close.type = 'button';
      close.className = 'lightbox-close';
      close.textContent = 'Close';
      box.appendChild(close);
      box.appendChild(img);
      box.addEventListener('click', function () { closeBox(box, a); });
      box.addEventListener('keydown', function (k) { if (k.key === 'Escape') closeBox(box, a); });
      document.body.appendChild(box);
      document.body.classList.add('has-lightbox');
      // a diagram wider than the screen opens at its middle, where its flow is
      img.addEventListener('load', function () {
        box.scrollLeft = (box.scrollWidth - box.clientWidth) / 2;
      });
      close.focus();
    });
  });
}());
