<?php
// PHP's dba functions with the 'lmdb' handler, one case per run:
//   php dba_exercise.php CASE DIR [FILE]
// Prints what each call answers; scripts/clients_check.sh runs every case on
// upstream's liblmdb.so.0 and on ours and compares the transcripts.
// Several cases are sequences PHP's handler gets wrong (it renews or aborts
// transactions it has already ended): upstream crashes in some of them.
error_reporting(E_ALL);
ini_set('display_errors', '1');
$case = $argv[1]; $dir = $argv[2];
chdir($dir);
$H = 'lmdb';
function show($label, $v) { echo $label, ': '; var_dump($v); }
function walk($db) { $k = dba_firstkey($db); $n = 0; $out = [];
  while ($k !== false) { $out[] = $k . '=' . md5((string)dba_fetch($k, $db)); $k = dba_nextkey($db); if (++$n > 100000) break; }
  echo "walk ", count($out), " ", md5(implode("\n", $out)), "\n"; return $out; }
function fill($db, $n, $vlen = 20) { for ($i = 0; $i < $n; $i++) { if (!dba_insert(sprintf("key%06d", $i), str_repeat(chr(65 + $i % 26), $vlen), $db)) { echo "fill failed at $i\n"; return $i; } } return $n; }
switch ($case) {
case 'matrix':
  foreach (['none', 'db', 'random', 'empty'] as $what) {
    foreach (['r','w','c','n'] as $m) foreach (['l','d','-',''] as $l) {
      @unlink('m.db'); @unlink('m.db-lock');
      if ($what === 'db') { $d = dba_open('m.db', 'n', $H); dba_insert('x', 'y', $d); dba_close($d); }
      if ($what === 'random') file_put_contents('m.db', str_repeat("not an lmdb file\n", 500));
      if ($what === 'empty') touch('m.db');
      echo "== $what $m$l\n";
      $d = dba_open('m.db', $m.$l, $H);
      if ($d === false) { echo "open failed\n"; continue; }
      show('insert', dba_insert('k', 'test insert', $d));
      show('fetch', dba_fetch('k', $d));
      show('fetch x', dba_fetch('x', $d));
      dba_close($d);
      clearstatcache(); echo "size ", filesize('m.db'), " lock ", file_exists('m.db-lock') ? 'yes' : 'no', "\n";
    }
  }
  break;
case 'standard':
  $d = dba_open('s.db', 'n', $H);
  foreach (['key1'=>'Content String 1','key2'=>'Content String 2','key3'=>'Third','key4'=>'Another','key5'=>'Last'] as $k=>$v) show("insert $k", dba_insert($k, $v, $d));
  show('insert arr', dba_insert(['', 'name9'], 'Content 9', $d));
  show('insert arr2', dba_insert(['key10', 'name10'], 'Content 10', $d));
  dba_close($d);
  $d = dba_open('s.db', 'w', $H);
  show('del3', dba_delete('key3', $d)); show('del1', dba_delete('key1', $d)); show('del1 again', dba_delete('key1', $d));
  $k = dba_firstkey($d); while ($k !== false) { echo "$k: ", dba_fetch($k, $d), "\n"; $k = dba_nextkey($d); }
  for ($i = 1; $i < 6; $i++) echo "exists key$i ", dba_exists("key$i", $d) ? 'Y' : 'N', "\n";
  show('replace', dba_replace('key2', 'replaced', $d)); show('fetch', dba_fetch('key2', $d));
  $r = @dba_open('s.db', 'rt', $H); echo "read during write: ", $r === false ? 'no' : 'yes', "\n"; if ($r) { walk($r); dba_close($r); }
  show('insert6', dba_insert('key number 6', 'v6', $d)); show('insert6 again', dba_insert('key number 6', 'again', $d));
  show('fetch6', dba_fetch('key number 6', $d));
  show('sync', dba_sync($d)); show('optimize', dba_optimize($d));
  show('list', array_values(array_map('gettype', dba_list())));
  dba_close($d);
  $d = dba_open('s.db', 'r', $H); walk($d);
  show('insert ro', dba_insert('zz', 'zz', $d)); show('delete ro', dba_delete('key2', $d)); show('replace ro', dba_replace('key2', 'q', $d));
  show('sync ro', dba_sync($d));
  dba_close($d);
  break;
case 'edges':
  $d = dba_open('e.db', 'n', $H);
  show('empty key insert', dba_insert('', 'v', $d));
  show('empty key fetch', dba_fetch('', $d));
  show('empty key exists', dba_exists('', $d));
  show('empty key delete', dba_delete('', $d));
  show('empty key replace', dba_replace('', 'v', $d));
  show('empty value', dba_insert('ev', '', $d)); show('fetch ev', dba_fetch('ev', $d)); show('exists ev', dba_exists('ev', $d));
  show('nul key', dba_insert("a\0b", "x\0y", $d)); show('fetch nul', dba_fetch("a\0b", $d)); show('fetch a', dba_fetch('a', $d));
  foreach ([510, 511, 512, 1000] as $n) { show("key $n", dba_insert(str_repeat('k', $n), "v$n", $d)); show("fetch $n", dba_fetch(str_repeat('k', $n), $d)); show("exists $n", dba_exists(str_repeat('k', $n), $d)); show("delete $n", dba_delete(str_repeat('k', $n), $d)); }
  foreach ([1, 2000, 4000, 4096, 8192, 100000, 1<<20, 3<<20] as $n) { $v = str_repeat(chr(97 + $n % 26), $n); show("val $n", dba_insert("v$n", $v, $d)); show("fetch $n ok", dba_fetch("v$n", $d) === $v); }
  show('replace big->small', dba_replace('v1048576', 'small', $d)); show('fetch', dba_fetch('v1048576', $d));
  show('replace small->big', dba_replace('v1', str_repeat('z', 50000), $d)); show('fetch len', strlen(dba_fetch('v1', $d)));
  show('fetch skip', dba_fetch('ev', 1, $d));
  show('key_split', dba_key_split('[a]b'));
  walk($d);
  dba_close($d);
  clearstatcache(); echo "size ", filesize('e.db'), "\n";
  $d = dba_open('e.db', 'r', $H); walk($d); dba_close($d);
  break;
case 'mapfull':
  foreach ([1, 4096, 32768, 65536, 100000, 1<<20] as $ms) {
    @unlink('f.db'); @unlink('f.db-lock');
    echo "== map_size $ms\n";
    $d = dba_open('f.db', 'n', $H, 0644, $ms);
    if ($d === false) { echo "open failed\n"; continue; }
    $n = fill($d, 5000, 100);
    echo "filled $n\n";
    show('big', dba_insert('big', str_repeat('b', 2 << 20), $d));
    show('after full fetch', dba_fetch('key000000', $d));
    show('replace', dba_replace('key000001', 'x', $d));
    show('delete', dba_delete('key000002', $d));
    walk($d);
    dba_close($d);
    clearstatcache(); echo "size ", filesize('f.db'), "\n";
    $d = dba_open('f.db', 'r', $H); if ($d) { walk($d); dba_close($d); }
    $d = dba_open('f.db', 'w', $H, 0644, 4096); if ($d) { show('w small map insert', dba_insert('after', 'x', $d)); walk($d); dba_close($d); } else echo "reopen small failed\n";
  }
  break;
case 'iterwrite':
  $d = dba_open('i.db', 'c', $H);
  foreach (['a'=>'1','b'=>'2','c'=>'3'] as $k=>$v) dba_replace($k, $v, $d);
  show('first', dba_firstkey($d)); show('next', dba_nextkey($d));
  show('replace d', dba_replace('d', '4', $d));
  show('next', dba_nextkey($d)); show('next', dba_nextkey($d));
  dba_close($d);
  break;
case 'iterdelete':
  $d = dba_open('i.db', 'c', $H);
  foreach (['a'=>'1','b'=>'2','c'=>'3'] as $k=>$v) dba_replace($k, $v, $d);
  show('first', dba_firstkey($d)); show('delete a', dba_delete('a', $d)); show('next', dba_nextkey($d));
  dba_close($d);
  break;
case 'nextfirst':
  $d = dba_open('i.db', 'c', $H);
  show('next', dba_nextkey($d)); dba_replace('a', '1', $d); show('next', dba_nextkey($d));
  dba_close($d);
  break;
case 'iterfetchmiss':
  $d = dba_open('i.db', 'c', $H);
  foreach (['a'=>'1','b'=>'2','c'=>'3'] as $k=>$v) dba_replace($k, $v, $d);
  show('first', dba_firstkey($d)); show('fetch b', dba_fetch('b', $d)); show('exists c', dba_exists('c', $d));
  show('next', dba_nextkey($d)); show('next', dba_nextkey($d)); show('next', dba_nextkey($d)); show('next', dba_nextkey($d));
  dba_close($d);
  break;
case 'iterfetchmiss2':
  $d = dba_open('i.db', 'c', $H);
  foreach (['a'=>'1','b'=>'2','c'=>'3'] as $k=>$v) dba_replace($k, $v, $d);
  show('first', dba_firstkey($d)); show('fetch missing', dba_fetch('zz', $d));
  show('next', dba_nextkey($d));
  dba_close($d);
  break;
case 'iterdone':
  $d = dba_open('i.db', 'c', $H);
  foreach (['a'=>'1','b'=>'2'] as $k=>$v) dba_replace($k, $v, $d);
  show('first', dba_firstkey($d)); show('next', dba_nextkey($d)); show('next', dba_nextkey($d)); show('next after end', dba_nextkey($d));
  show('fetch', dba_fetch('a', $d)); show('first again', dba_firstkey($d));
  dba_close($d);
  break;
case 'iterloop':  // a lookup of a missing key in every step of an iteration
  $d = dba_open('i.db', 'n', $H);
  foreach (range(1, 5) as $i) dba_insert("k$i", "v$i", $d);
  $k = dba_firstkey($d);
  while ($k !== false) { show("$k exists x$k", dba_exists("x$k", $d)); $k = dba_nextkey($d); }
  dba_close($d);
  break;
case 'subdir':
  mkdir('sd'); $d = dba_open('sd', 'c', $H, 0644, 0, DBA_LMDB_USE_SUB_DIR);
  show('open', $d !== false);
  if ($d) { fill($d, 300); walk($d); dba_close($d); }
  $x = scandir('sd'); echo implode(' ', $x), "\n";
  $d = @dba_open('nosuch', 'c', $H, 0644, 0, DBA_LMDB_USE_SUB_DIR); show('open missing dir', $d !== false);
  echo error_get_last()['message'] ?? '', "\n";
  $d = @dba_open('sd', 'c', $H); show('open dir as file', $d !== false); echo error_get_last()['message'] ?? '', "\n";
  break;
case 'perm':
  umask(0);
  foreach ([0600, 0644, 0664, 0400] as $p) { @unlink('p.db'); @unlink('p.db-lock');
    $d = dba_open('p.db', 'n', $H, $p); if ($d) { dba_insert('a','b',$d); dba_close($d); } else echo "open failed\n";
    clearstatcache(); printf("%o: %o %o\n", $p, fileperms('p.db') & 0777, file_exists('p.db-lock') ? fileperms('p.db-lock') & 0777 : 0);
  }
  break;
case 'twice':
  $a = dba_open('t.db', 'c', $H); $b = dba_open('t.db', 'c', $H); show('b', $b !== false);
  if ($a) dba_insert('k', 'a', $a); if ($b) { show('b fetch', dba_fetch('k', $b)); show('b insert', dba_insert('k2', 'b', $b)); }
  if ($a) show('a fetch k2', dba_fetch('k2', $a));
  $r = dba_open('t.db', 'r', $H); show('r', $r !== false); if ($r) walk($r);
  if ($b) dba_close($b); if ($a) dba_close($a); if ($r) dba_close($r);
  break;
case 'persist':
  $p = dba_popen('q.db', 'c', $H); fill($p, 50); walk($p); dba_close($p);
  $p = dba_popen('q.db', 'r', $H); walk($p); dba_close($p);
  break;
case 'many':
  $d = dba_open('b.db', 'n', $H);
  mt_srand(42);
  $keys = [];
  for ($i = 0; $i < 20000; $i++) { $k = substr(md5("k$i"), 0, mt_rand(1, 32)); $v = str_repeat(chr(mt_rand(32, 126)), mt_rand(0, 3000)); dba_replace($k, $v, $d); $keys[] = $k; }
  for ($i = 0; $i < 20000; $i += 3) dba_delete($keys[$i], $d);
  walk($d); dba_close($d);
  clearstatcache(); echo "size ", filesize('b.db'), "\n";
  break;
case 'readback':  // read a db made by the other library
  $d = dba_open($argv[3], 'r', $H); if (!$d) { echo "open failed\n"; break; } walk($d); dba_close($d);
  $d = dba_open($argv[3], 'w', $H); show('insert', dba_insert('cross', 'x', $d)); show('del', dba_delete('cross', $d)); walk($d); dba_close($d);
  break;
}
echo "done\n";
