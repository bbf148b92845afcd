// The field page's storage in the browser: one IndexedDB database with the outbox (each
// visit under its client id, photos as Blobs) and the due-list cache. Everything here is
// personal data: forget() removes all of it (at logout and when the session has ended).
(function () {
  "use strict";
  const NAME = "gisapp-field";
  const STORES = ["outbox", "due"];
  let opening = null;

  function open() {
    if (!opening) {
      opening = new Promise((resolve, reject) => {
        const req = indexedDB.open(NAME, 1);
        req.onupgradeneeded = () => {
          const db = req.result;
          if (!db.objectStoreNames.contains("outbox")) db.createObjectStore("outbox", { keyPath: "client_id" });
          if (!db.objectStoreNames.contains("due")) db.createObjectStore("due", { keyPath: "key" });
        };
        req.onsuccess = () => {
          req.result.onversionchange = () => { req.result.close(); opening = null; };
          resolve(req.result);
        };
        req.onerror = () => { opening = null; reject(req.error); };
      });
    }
    return opening;
  }

  async function run(store, mode, work) {
    const db = await open();
    return new Promise((resolve, reject) => {
      const tx = db.transaction(store, mode);
      const req = work(tx.objectStore(store));
      tx.oncomplete = () => resolve(req ? req.result : undefined);
      tx.onerror = tx.onabort = () => reject(tx.error);
    });
  }

  const get = (store, key) => run(store, "readonly", (s) => s.get(key));
  const all = (store) => run(store, "readonly", (s) => s.getAll());
  const put = (store, value) => run(store, "readwrite", (s) => s.put(value));
  const del = (store, key) => run(store, "readwrite", (s) => s.delete(key));

  // Remove the whole database (waits for this page's connection to close first).
  async function forget() {
    if (opening) { try { (await opening).close(); } catch (e) { /* never opened */ } opening = null; }
    await new Promise((resolve) => {
      const req = indexedDB.deleteDatabase(NAME);
      req.onsuccess = req.onerror = req.onblocked = () => resolve();
    });
  }

  window.fieldStore = { get, all, put, del, forget, NAME, STORES };
})();
