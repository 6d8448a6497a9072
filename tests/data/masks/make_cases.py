"""Writes deval's own segm and keypoint cases and pycocotools' numbers for them.

    python3 tests/data/masks/make_cases.py PYCOCOTOOLS_DIR

PYCOCOTOOLS_DIR holds a built pycocotools (cocodataset/cocoapi PythonAPI, `python3 setup.py build_ext
--inplace`; with numpy 1.24 or later, `np.float` in cocoeval.py must read `np.float64`, its old meaning). Every case is generated from a fixed seed, so the files are reproducible byte for byte.

m1_masks_without_boxes   compressed-RLE results without "bbox" (area = pixel count); multi-polygon
                         objects, polygons partly or wholly outside the image, polygons along the border,
                         crowd regions as uncompressed RLE, `area` fields that differ from the pixel count,
                         empty masks, score ties, detections of a class without ground truth
m2_boxes_first           the same ground truth; results with "bbox" first (area = w*h): polygon and RLE
                         segmentations, and results without one (their box's polygon)
k2_custom_sigmas         5-keypoint skeleton with its own sigmas; results without "bbox" (area = keypoint
                         extent); num_keypoints 0, a crowd, unlabelled ground truth (enlarged-box rule)
"""
import copy
import json
import os
import random
import sys

sys.path.insert(0, sys.argv[1])
import numpy as np  # noqa: E402
from pycocotools import mask as mask_utils  # noqa: E402
from pycocotools.coco import COCO  # noqa: E402
from pycocotools.cocoeval import COCOeval  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def polygon(rng, cx, cy, r, n):
    pts = []
    for j in range(n):
        a = 2 * np.pi * j / n + rng.uniform(-0.3, 0.3)
        rr = r * rng.uniform(0.6, 1.2)
        pts += [round(cx + rr * np.cos(a), 2), round(cy + rr * np.sin(a), 2)]
    return pts


def rle_of(polys, h, w):
    return mask_utils.merge(mask_utils.frPyObjects(polys, h, w))


def uncompressed(rle):
    m = mask_utils.decode(rle).flatten(order='F')
    counts, p, c = [], 0, 0
    for v in m:
        if v != p:
            counts.append(c)
            c, p = 0, v
        c += 1
    counts.append(c)
    return {'size': list(rle['size']), 'counts': [int(x) for x in counts]}


def make_segm_gt(rng):
    images, anns = [], []
    cats = [{'id': 1, 'name': 'cell'}, {'id': 2, 'name': 'leaf'}, {'id': 5, 'name': 'stone'}, {'id': 9, 'name': 'absent'}]
    aid = 1
    for i in range(1, 9):
        h, w = rng.choice([120, 160, 240]), rng.choice([160, 200, 320])
        images.append({'id': i * 10, 'height': h, 'width': w, 'file_name': f'{i}.png'})
        for _ in range(rng.randint(2, 6)):
            cat = rng.choice([1, 2, 5])
            r = rng.choice([6, 14, 30, 60])
            cx, cy = rng.uniform(-10, w + 10), rng.uniform(-10, h + 10)
            kind = rng.random()
            if kind < 0.25:
                polys = [polygon(rng, cx, cy, r, rng.randint(3, 8)), polygon(rng, cx + r * 0.8, cy, r * 0.7, rng.randint(3, 6))]
            elif kind < 0.35:
                polys = [[0, 0, w / 3, 0, w / 3, h / 4, 0, h / 4]]  # along the border
            elif kind < 0.4:
                polys = [[w + 5, h + 5, w + 30, h + 5, w + 30, h + 30]]  # wholly outside: an empty mask
            else:
                polys = [polygon(rng, cx, cy, r, rng.randint(3, 10))]
            rle = rle_of(polys, h, w)
            area = float(mask_utils.area(rle))
            if rng.random() < 0.2:
                area = round(area * rng.uniform(0.5, 2.5), 1)  # the area field, not the pixel count, decides ranges
            bb = [float(x) for x in mask_utils.toBbox(rle)]
            crowd = 1 if rng.random() < 0.12 else 0
            segm = uncompressed(rle) if crowd else polys
            anns.append({'id': aid, 'image_id': i * 10, 'category_id': cat, 'segmentation': segm, 'area': area,
                         'bbox': bb, 'iscrowd': crowd})
            aid += 1
    return {'images': images, 'annotations': anns, 'categories': cats}


def jitter(rng, polys, s):
    return [[round(v + rng.uniform(-s, s), 2) for v in p] for p in polys]


def make_segm_dt(rng, gt, with_boxes):
    dts = []
    sizes = {im['id']: (im['height'], im['width']) for im in gt['images']}
    for a in gt['annotations']:
        h, w = sizes[a['image_id']]
        polys = a['segmentation'] if isinstance(a['segmentation'], list) else [polygon(rng, w / 2, h / 2, 20, 5)]
        for _ in range(rng.randint(0, 2)):
            p = jitter(rng, polys, rng.choice([0.5, 2, 6]))
            cat = a['category_id'] if rng.random() < 0.85 else rng.choice([1, 2, 5, 9])
            dts.append((a['image_id'], cat, p, round(rng.random(), 1)))  # rounded scores tie
    for im in gt['images']:
        h, w = im['height'], im['width']
        for _ in range(rng.randint(0, 3)):
            dts.append((im['id'], rng.choice([1, 2, 5, 9]), [polygon(rng, rng.uniform(0, w), rng.uniform(0, h), rng.choice([5, 20]), 5)], round(rng.random(), 1)))
        dts.append((im['id'], rng.choice([1, 2]), [[w + 1, h + 1, w + 9, h + 1, w + 9, h + 9]], 0.5))  # an empty mask
    rng.shuffle(dts)
    out = []
    for image_id, cat, polys, score in dts:
        h, w = sizes[image_id]
        rle = rle_of(polys, h, w)
        rle = {'size': [int(x) for x in rle['size']], 'counts': rle['counts'].decode('ascii')}
        if not with_boxes:
            out.append({'image_id': image_id, 'category_id': cat, 'segmentation': rle, 'score': score})
            continue
        bb = [round(float(x) + rng.uniform(-1, 1), 2) for x in mask_utils.toBbox(mask_utils.merge(mask_utils.frPyObjects(polys, h, w)))]
        bb[2], bb[3] = max(bb[2], 0.5), max(bb[3], 0.5)
        d = {'image_id': image_id, 'category_id': cat, 'bbox': bb, 'score': score}
        choice = rng.random()
        if choice < 0.45:
            d['segmentation'] = polys
        elif choice < 0.85:
            d['segmentation'] = rle
        out.append(d)  # else no segmentation: its box's polygon
    return out


def per_category(E, cat_ids, names, kps):
    p = E.eval['precision']
    r = E.eval['recall']
    m = -1
    out = []

    def mean(x):
        x = x[x > -1]
        return None if x.size == 0 else float(np.mean(x))

    for k, cid in enumerate(cat_ids):
        e = {'category_id': int(cid), 'name': names[cid]}
        if kps:
            e.update(AP=mean(p[:, :, k, 0, m]), AP50=mean(p[0, :, k, 0, m]), AP75=mean(p[5, :, k, 0, m]),
                     APm=mean(p[:, :, k, 1, m]), APl=mean(p[:, :, k, 2, m]), AR=mean(r[:, k, 0, m]))
        else:
            e.update(AP=mean(p[:, :, k, 0, m]), AP50=mean(p[0, :, k, 0, m]), AP75=mean(p[5, :, k, 0, m]),
                     APs=mean(p[:, :, k, 1, m]), APm=mean(p[:, :, k, 2, m]), APl=mean(p[:, :, k, 3, m]),
                     AR100=mean(r[:, k, 0, m]))
        out.append(e)
    return out


def evaluate(folder, iou_type, sigmas=None):
    gt = COCO(os.path.join(folder, 'gt.json'))
    with open(os.path.join(folder, 'dt.json')) as f:
        dt = gt.loadRes(json.load(f))
    E = COCOeval(gt, dt, iou_type)
    if sigmas is not None:
        E.params.kpt_oks_sigmas = np.array(sigmas)
    E.evaluate()
    E.accumulate()
    E.summarize()
    names = {c['id']: c['name'] for c in gt.dataset['categories']}
    return {'iou_type': iou_type, 'stats_list': [float(x) for x in E.stats],
            'per_category': per_category(E, E.params.catIds, names, iou_type == 'keypoints')}


def write(folder, gt, dt):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, 'gt.json'), 'w') as f:
        json.dump(gt, f)
    with open(os.path.join(folder, 'dt.json'), 'w') as f:
        json.dump(dt, f)


def make_keypoints(rng):
    k = 5
    sigmas = [0.05, 0.07, 0.07, 0.1, 0.12]
    images, anns, dts = [], [], []
    aid = 1
    for i in range(1, 5):
        images.append({'id': i, 'height': 480, 'width': 640})
        for j in range(rng.randint(3, 7)):
            x, y, bw, bh = rng.uniform(0, 500), rng.uniform(0, 380), rng.uniform(20, 150), rng.uniform(30, 200)
            kp, labelled = [], 0
            mode = rng.random()
            for _ in range(k):
                v = 0 if mode < 0.15 else rng.choice([0, 1, 2, 2])
                px, py = (round(x + rng.uniform(0, bw), 1), round(y + rng.uniform(0, bh), 1)) if v else (0, 0)
                kp += [px, py, v]
                labelled += v > 0
            crowd = 1 if rng.random() < 0.08 else 0
            anns.append({'id': aid, 'image_id': i, 'category_id': 1, 'keypoints': kp, 'num_keypoints': labelled,
                         'bbox': [round(x, 1), round(y, 1), round(bw, 1), round(bh, 1)], 'area': round(bw * bh * rng.uniform(0.4, 0.9), 1),
                         'iscrowd': crowd})
            aid += 1
            for _ in range(rng.randint(0, 3)):
                d = []
                for t in range(k):
                    gx, gy = (kp[3 * t], kp[3 * t + 1]) if kp[3 * t + 2] else (x + bw / 2, y + bh / 2)
                    d += [round(gx + rng.gauss(0, rng.choice([1, 4, 10])), 2), round(gy + rng.gauss(0, 6), 2), 1]
                dts.append({'image_id': i, 'category_id': 1, 'keypoints': d, 'score': round(rng.random(), 2)})
    rng.shuffle(dts)
    gt = {'images': images, 'annotations': anns, 'categories': [{'id': 1, 'name': 'hand', 'keypoints': ['a', 'b', 'c', 'd', 'e']}]}
    return gt, dts, sigmas


def main():
    rng = random.Random(14)
    gt = make_segm_gt(rng)
    cases = {}
    m1 = os.path.join(HERE, 'm1_masks_without_boxes')
    write(m1, gt, make_segm_dt(rng, gt, with_boxes=False))
    cases[m1] = {'coco_segm': evaluate(m1, 'segm'), 'coco_bbox': evaluate(m1, 'bbox')}
    m2 = os.path.join(HERE, 'm2_boxes_first')
    write(m2, gt, make_segm_dt(rng, gt, with_boxes=True))
    cases[m2] = {'coco_segm': evaluate(m2, 'segm'), 'coco_bbox': evaluate(m2, 'bbox')}
    kgt, kdt, sigmas = make_keypoints(rng)
    k2 = os.path.join(HERE, 'k2_custom_sigmas')
    write(k2, kgt, kdt)
    cases[k2] = {'coco_keypoints': dict(evaluate(k2, 'keypoints', sigmas), kpt_oks_sigmas=sigmas)}
    for folder, expected in cases.items():
        expected['tool'] = 'pycocotools 2.0 (cocodataset/cocoapi @ 8c9bcc3), tests/data/masks/make_cases.py'
        with open(os.path.join(folder, 'expected.json'), 'w') as f:
            json.dump(expected, f, indent=1)
            f.write('\n')


if __name__ == '__main__':
    main()
