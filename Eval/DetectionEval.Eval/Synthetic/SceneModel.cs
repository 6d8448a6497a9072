namespace DetectionEval.Eval.Synthetic;

/// <summary>
/// The distributions behind <see cref="SyntheticCoco"/>: image sizes, object counts, classes, box sizes
/// and the detector's behaviour. Every draw comes from the image's own generator, in a fixed order.
/// </summary>
internal sealed class SceneModel
{
    private static readonly (int Width, int Height)[] RegularSizes =
        [(640, 480), (640, 427), (480, 640), (500, 375), (640, 640), (427, 640), (612, 612), (640, 360)];

    private static readonly (int Width, int Height)[] DenseSizes = [(1920, 1080), (2048, 1536), (1600, 1200), (4000, 3000)];

    private readonly SynthSettings _settings;
    private readonly double[] _classCumulative;

    public SceneModel(SynthSettings settings)
    {
        _settings = settings;
        _classCumulative = ZipfCumulative(settings.Classes);
    }

    /// <summary>Class k (0-based) has weight 1 / (k + 1): with 80 classes the first holds about a fifth of all objects, as "person" does in COCO.</summary>
    private static double[] ZipfCumulative(int classes)
    {
        double[] cumulative = new double[classes];
        double total = 0;
        for (int k = 0; k < classes; k++)
        {
            total += 1.0 / (k + 1);
            cumulative[k] = total;
        }
        for (int k = 0; k < classes; k++) cumulative[k] /= total;
        return cumulative;
    }

    /// <summary>The image's size: the first draw of its generator.</summary>
    public (int Width, int Height) ImageSize(Xoshiro256StarStar random)
    {
        (int Width, int Height)[] sizes = _settings.Dense ? DenseSizes : RegularSizes;
        return sizes[random.NextInt(sizes.Length)];
    }

    /// <summary>Adds the image's ground-truth objects.</summary>
    public void AddObjects(Xoshiro256StarStar random, int width, int height, List<SceneObject> objects)
    {
        int count = ObjectCount(random);
        for (int n = 0; n < count; n++)
        {
            bool crowd = random.Chance(0.01);
            int category = DrawClass(random);
            // A crowd annotation covers a region of many people or things: medium or large.
            SizeClass size = crowd ? (random.Chance(0.5) ? SizeClass.Medium : SizeClass.Large) : DrawSizeClass(random);
            SynthBox box = DrawBox(random, width, height, size);
            // COCO's area is the segmentation's, which fills part of its box.
            double area = Round(box.Width * box.Height * random.Uniform(0.55, 0.95), 2);
            objects.Add(new SceneObject(category, box, area, crowd));
        }
    }

    /// <summary>
    /// Regular mode: 1 % of images are empty, the rest have 1 + a geometric number of objects (a long tail,
    /// as in COCO). Dense mode: between half and one and a half times the mean.
    /// </summary>
    private int ObjectCount(Xoshiro256StarStar random)
    {
        double mean = _settings.MeanObjects;
        if (_settings.Dense) return (int)(mean * random.Uniform(0.5, 1.5) + 0.5);
        if (mean <= 0 || random.Chance(0.01)) return 0;
        // Failures before the first success with p = 1 / mean have mean (mean - 1).
        double p = 1.0 / Math.Max(mean, 1.0);
        int cap = (int)Math.Min(20 * mean + 1, 10_000);
        int count = 1;
        while (count < cap && !random.Chance(p)) count++;
        return count;
    }

    /// <summary>Adds the detector's output for the image: found objects, duplicates, near misses and false positives.</summary>
    public void AddDetections(Xoshiro256StarStar random, int width, int height, List<SceneObject> objects, List<SceneDetection> detections)
    {
        double mean = _settings.MeanDetections;
        int target = (int)(mean * random.Uniform(0.5, 1.5) + 0.5);
        double jitter = _settings.Dense ? 0.08 : 0.06;
        foreach (SceneObject o in objects)
        {
            if (o.Crowd)
            {
                // A few detections of single members of the crowd, inside its region.
                int members = random.NextInt(3);
                for (int m = 0; m < members; m++) detections.Add(new SceneDetection(o.Category, Jitter(random, o.Box, 0.25, width, height), TruePositiveScore(random)));
                continue;
            }
            if (!random.Chance(0.85)) continue;
            int category = random.Chance(0.05) ? DrawClass(random) : o.Category;
            double score = TruePositiveScore(random);
            detections.Add(new SceneDetection(category, Jitter(random, o.Box, jitter, width, height), score));
            if (random.Chance(0.10))
            {
                detections.Add(new SceneDetection(category, Jitter(random, o.Box, 2 * jitter, width, height), Round(score * 0.6, 3)));
            }
        }
        double nearMiss = _settings.Dense ? 0.7 : 0.3;
        while (detections.Count < target)
        {
            if (objects.Count > 0 && random.Chance(nearMiss))
            {
                // Poor localisation: a loose box around a real object (before NMS, dense detectors give many).
                SceneObject o = objects[random.NextInt(objects.Count)];
                int category = random.Chance(0.2) ? DrawClass(random) : o.Category;
                detections.Add(new SceneDetection(category, Jitter(random, o.Box, 0.3, width, height), FalsePositiveScore(random)));
            }
            else
            {
                SynthBox box = DrawBox(random, width, height, DrawSizeClass(random));
                detections.Add(new SceneDetection(DrawClass(random), box, FalsePositiveScore(random)));
            }
        }
    }

    private enum SizeClass { Small, Medium, Large }

    /// <summary>COCO's mix by count: 41 % small, 34 % medium, 25 % large; dense scenes are mostly small objects.</summary>
    private SizeClass DrawSizeClass(Xoshiro256StarStar random)
    {
        double u = random.NextDouble();
        if (_settings.Dense) return u < 0.70 ? SizeClass.Small : u < 0.98 ? SizeClass.Medium : SizeClass.Large;
        return u < 0.41 ? SizeClass.Small : u < 0.75 ? SizeClass.Medium : SizeClass.Large;
    }

    private int DrawClass(Xoshiro256StarStar random)
    {
        int index = Array.BinarySearch(_classCumulative, random.NextDouble());
        // BinarySearch returns the complement of the first larger entry when the value is not present.
        if (index < 0) index = ~index;
        return Math.Min(index, _classCumulative.Length - 1) + 1;
    }

    /// <summary>A box whose square root of area lies in the size class's range, with an aspect ratio between 1:2 and 2:1.</summary>
    private static SynthBox DrawBox(Xoshiro256StarStar random, int width, int height, SizeClass size)
    {
        double largest = 0.9 * Math.Min(width, height);
        (double lo, double hi) = size switch
        {
            SizeClass.Small => (3.0, 32.0),
            SizeClass.Medium => (32.0, 96.0),
            _ => (96.0, Math.Max(96.0, largest)),
        };
        double side = random.Uniform(lo, hi);
        double stretch = Math.Sqrt(random.Uniform(0.5, 2.0));
        double w = Math.Min(side * stretch, width);
        double h = Math.Min(side / stretch, height);
        double x = random.Uniform(0, width - w);
        double y = random.Uniform(0, height - h);
        return Corners(x, y, x + w, y + h, width, height);
    }

    /// <summary>Moves each edge by a normal amount of <paramref name="sigma"/> times the box's size, clipped to the image.</summary>
    private static SynthBox Jitter(Xoshiro256StarStar random, SynthBox box, double sigma, int width, int height)
    {
        double x1 = box.X + random.NextNormal() * sigma * box.Width;
        double y1 = box.Y + random.NextNormal() * sigma * box.Height;
        double x2 = box.X + box.Width + random.NextNormal() * sigma * box.Width;
        double y2 = box.Y + box.Height + random.NextNormal() * sigma * box.Height;
        return Corners(x1, y1, x2, y2, width, height);
    }

    /// <summary>A box from its corners: clipped to the image, at least one pixel wide and high, rounded to two decimals.</summary>
    private static SynthBox Corners(double x1, double y1, double x2, double y2, int width, int height)
    {
        x1 = Math.Clamp(Round(x1, 2), 0, width - 1);
        y1 = Math.Clamp(Round(y1, 2), 0, height - 1);
        x2 = Math.Clamp(Round(x2, 2), x1 + 1, width);
        y2 = Math.Clamp(Round(y2, 2), y1 + 1, height);
        return new SynthBox(x1, y1, Round(x2 - x1, 2), Round(y2 - y1, 2));
    }

    /// <summary>Found objects score high, around 0.6.</summary>
    private static double TruePositiveScore(Xoshiro256StarStar random) => Round(Math.Clamp(0.6 + 0.2 * random.NextNormal(), 0.01, 1.0), 3);

    /// <summary>False positives mostly score low.</summary>
    private static double FalsePositiveScore(Xoshiro256StarStar random)
    {
        double u = random.NextDouble();
        return Round(0.001 + 0.6 * u * u, 3);
    }

    /// <summary>Rounds half to even at <paramref name="digits"/> decimals (managed arithmetic, the same on every platform).</summary>
    private static double Round(double value, int digits) => Math.Round(value, digits, MidpointRounding.ToEven);
}
